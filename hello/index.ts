/** The hello service: a production-grade "Hello World!" on node:http with no runtime dependency. */
export * from './contract.js';
export { loadHelloConfig, type HelloConfig } from './config.js';
export { startHelloService, type HelloService, type HelloPhase, type ShutdownResult } from './server.js';
export { runHelloProcess, type RunHelloOptions } from './process.js';
