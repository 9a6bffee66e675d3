/**
 * @parley/faults: black-box harness of the fault matrix and the hostile-input
 * fuzzer (issue 7). The tests live beside it (`*.int.test.ts`); this module
 * exports the pieces they share so other suites can drive processes the same way.
 */
export { ChatClient, type Received } from './harness/client.js';
export { checkStored, type StoreCheck } from './harness/oracle.js';
export {
  createTopic,
  healthy,
  metric,
  rssOf,
  stack,
  startNode,
  startWriter,
  sumSeries,
  type Proc,
} from './harness/processes.js';
export { uid, waitFor } from './harness/wait.js';
