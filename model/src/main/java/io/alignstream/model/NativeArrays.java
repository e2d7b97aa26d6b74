package io.alignstream.model;

import ai.djl.ndarray.NDManager;

/**
 * The native arrays alive in this process: the leak signal a long-running replica reports (a
 * replica whose count grows holds native memory that no Java heap figure shows).
 */
public final class NativeArrays {
  private NativeArrays() {}

  /**
   * Live arrays under every manager of the PyTorch engine: models, optimisers, and per-step
   * sub-managers not yet closed. It walks every array, so call it every few seconds, not every step.
   */
  public static int liveInProcess() {
    try (NDManager probe = BaseModel.newRoot()) {
      // Every base manager is a child of the engine's system manager, which counts its children's arrays.
      return probe.getParentManager().getManagedArrays().size();
    }
  }
}
