/** The Helm chart of a fleet: generated templates, values and their schema. */
export { renderHelmChart, writeHelmChart, type HelmOptions, type ChartFile } from './chart.js';
