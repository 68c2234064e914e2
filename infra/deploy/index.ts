/** Taking a synthesized fleet to a cluster: apply, prune, wait; diff; destroy. */
export { deployFleet, diffFleet, destroyFleet, listFleetObjects, applyStages, waitForRollouts, formatRef, refKey, FIELD_MANAGER, DEPLOY_DEFAULTS } from './deploy.js';
export type { DeployOptions, DeployResult, DeployEvent, RolloutStatus, ObjectRef, ApplyAction, DiffEntry, DestroyOptions } from './deploy.js';
export { checkNamespaceOwnership, manifestNamespaces, mayDelete } from './namespaces.js';
export { kubectl, explainFailure, requireKubeconfig, type ClusterTarget, type KubectlResult } from './kubectl.js';
