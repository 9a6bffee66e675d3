// STAND-IN for `k6/execution`, tests only: see registry.ts.
import { recorded } from './registry.js';

const exec = {
  vu: {
    get idInTest(): number {
      return recorded.vu;
    },
    get iterationInScenario(): number {
      return recorded.iteration;
    },
  },
};
export default exec;
