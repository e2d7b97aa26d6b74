package io.alignstream.rewarder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import org.junit.jupiter.api.Test;

class ScoringDeviceTest {
  @Test
  void parsesAnyCase() {
    assertEquals(ScoringDevice.GPU, ScoringDevice.parse(" Gpu "));
    assertEquals(ScoringDevice.AUTO, ScoringDevice.parse("auto"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> ScoringDevice.parse("tpu")).getMessage()
        .contains("--device"));
  }

  @Test
  void cpuIsAlwaysAvailable() {
    assumeTrue(Engine.getEngine("PyTorch").getGpuCount() == 0, "on a GPU machine forcing the CPU would change later tests");
    assertEquals(Device.cpu(), ScoringDevice.CPU.apply());
    assertEquals(Device.cpu(), ScoringDevice.AUTO.apply());
  }

  @Test
  void gpuFailsLoudlyWithoutOne() {
    assumeTrue(Engine.getEngine("PyTorch").getGpuCount() == 0, "a GPU is visible");
    String message = assertThrows(IllegalStateException.class, ScoringDevice.GPU::apply).getMessage();
    assertTrue(message.contains("-Pcuda"), message);
  }
}
