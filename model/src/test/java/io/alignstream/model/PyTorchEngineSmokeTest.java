package io.alignstream.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

/**
 * The PyTorch engine loads from the native jars on the class path, offline, and runs a forward and
 * a backward pass. If this fails, nothing else in the model module can work.
 */
class PyTorchEngineSmokeTest {

  @Test
  void forwardAndBackwardOffline() {
    assertEquals("true", System.getProperty("ai.djl.offline"), "tests must run DJL offline");
    Engine engine = Engine.getEngine("PyTorch");
    assertEquals("2.7.1", engine.getVersion());
    try (NDManager manager = engine.newBaseManager()) {
      NDArray x = manager.create(new float[] {1f, 2f, 3f});
      NDArray w = manager.create(new float[] {0.5f, -1f, 2f});
      w.setRequiresGradient(true);
      try (GradientCollector gc = engine.newGradientCollector()) {
        NDArray y = x.mul(w).sum(); // y = Σ x_i w_i = 0.5 - 2 + 6
        assertEquals(4.5f, y.getFloat(), 1e-6);
        gc.backward(y);
      }
      assertArrayEquals(new float[] {1f, 2f, 3f}, w.getGradient().toFloatArray(), 1e-6f, "dy/dw = x");
    }
  }
}
