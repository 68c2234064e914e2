/** Taking a synthesized fleet to a cluster: apply, prune, wait; diff; destroy. */
export { deployFleet, diffFleet, destroyFleet, listFleetObjects, applyStages, waitForRollouts, formatRef, refKey, FIELD_MANAGER } from './deploy.js';
export type { DeployOptions, DeployResult, DeployEvent, RolloutStatus, ObjectRef, ApplyAction, DiffEntry, DestroyOptions } from './deploy.js';
export { kubectl, explainFailure, type ClusterTarget, type KubectlResult } from './kubectl.js';
