package io.alignstream.rewarder;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import java.lang.reflect.Field;
import java.util.Locale;

/**
 * Where the reward models live and score. The model code creates every tensor on the PyTorch engine's
 * default device, so the choice is process-wide and must be made before the first model is built.
 *
 * <ul>
 *   <li>{@link #AUTO}: the engine's choice: the first GPU when the CUDA build of libtorch is loaded and
 *       sees one (build with {@code -Pcuda}, or point {@code PYTORCH_LIBRARY_PATH} at a CUDA libtorch
 *       2.7.1), else the CPU.</li>
 *   <li>{@link #CPU}: the CPU even when a GPU is visible (e.g. to leave the GPU to a sampler).</li>
 *   <li>{@link #GPU}: the first GPU; start-up fails when there is none.</li>
 * </ul>
 */
public enum ScoringDevice {
  AUTO, CPU, GPU;

  private static final String ENGINE = "PyTorch";

  /** Parses {@code auto}, {@code cpu} or {@code gpu}, any case. */
  public static ScoringDevice parse(String value) {
    try {
      return valueOf(value.strip().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new IllegalArgumentException("device '" + value + "' must be auto, cpu or gpu (--device)");
    }
  }

  /**
   * Makes this choice the engine's default device and returns the device new models are created on.
   *
   * @throws IllegalStateException for {@link #GPU} without a visible GPU, or when an earlier model in
   *     this process already fixed another device
   */
  public Device apply() {
    Engine engine = Engine.getEngine(ENGINE);
    Device wanted = switch (this) {
      case AUTO -> engine.defaultDevice();
      case CPU -> Device.cpu();
      case GPU -> {
        if (engine.getGpuCount() < 1) {
          throw new IllegalStateException("--device gpu: PyTorch " + engine.getVersion() + " sees no GPU. Build with "
              + "-Pcuda (CUDA libtorch) or set PYTORCH_LIBRARY_PATH to a CUDA libtorch 2.7.1, and check the driver; "
              + "or use --device auto|cpu");
        }
        yield Device.gpu();
      }
    };
    if (!wanted.equals(engine.defaultDevice())) {
      setDefaultDevice(engine, wanted);
    }
    Device actual;
    try (NDManager probe = NDManager.newBaseManager(ENGINE)) {
      actual = probe.getDevice();
    }
    if (!actual.equals(wanted)) {
      throw new IllegalStateException("--device " + name().toLowerCase(Locale.ROOT) + ": models in this process are "
          + "already created on " + actual + "; the device must be chosen before the first model is loaded");
    }
    return actual;
  }

  // DJL has no setter for the default device (it is detected once); the field is set directly.
  private static void setDefaultDevice(Engine engine, Device device) {
    try {
      Field f = Engine.class.getDeclaredField("defaultDevice");
      f.setAccessible(true);
      f.set(engine, device);
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new IllegalStateException("cannot select " + device + " in DJL " + Engine.getDjlVersion() + " (" + e
          + "); start the process with CUDA_VISIBLE_DEVICES= to force the CPU", e);
    }
  }
}
