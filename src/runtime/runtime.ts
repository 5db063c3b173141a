// Runtime (TensorRT's IRuntime): plan bytes -> Engine. The native reader validates the
// whole plan; its errors (truncated, corrupted, wrong version) arrive as KilnErrors.
import { Logger } from '../builder/logger.js';
import { KilnError } from '../ir/index.js';
import { Engine } from './engine.js';
import { native, toKilnError } from './native.js';

export class Runtime {
  constructor(readonly logger: Logger = new Logger()) {}

  /** The CUDA GPUs this machine has ({ available: false, reason } without a driver). */
  static cudaDevices(): ReturnType<ReturnType<typeof native>['cudaDevices']> {
    return native().cudaDevices();
  }

  /**
   * The plan's description (IO, layers, tactics, memory, target) read without loading it,
   * so a CUDA plan can be inspected on a machine without its GPU; the result cannot create
   * execution contexts.
   */
  describePlan(plan: Uint8Array): Engine {
    if (!(plan instanceof Uint8Array)) throw new KilnError('KILN_PLAN', `describePlan expects the plan as a Uint8Array, received ${typeof plan}`);
    try {
      return new Engine(undefined, native().inspectPlan(plan));
    } catch (e) {
      throw toKilnError(e);
    }
  }

  deserializeEngine(plan: Uint8Array): Engine {
    if (!(plan instanceof Uint8Array)) throw new KilnError('KILN_PLAN', `deserializeEngine expects the plan as a Uint8Array, received ${typeof plan}`);
    try {
      const handle = new (native().Engine)(plan);
      const engine = new Engine(handle, handle.info());
      this.logger.info(`loaded engine: ${engine.layers.length} layers, inputs ${engine.inputs.map((t) => t.name).join(', ')}`);
      return engine;
    } catch (e) {
      throw toKilnError(e);
    }
  }
}
