/** The Helm chart of one app or a fleet: generated templates, values and their schema. */
export {
  renderHelmChart, writeHelmChart, inReleaseNamespace, MIN_KUBERNETES_VERSION, HELM_KEEP_ANNOTATION, type HelmOptions, type ChartFile,
} from './chart.js';
