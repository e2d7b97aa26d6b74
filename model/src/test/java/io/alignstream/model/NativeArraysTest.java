package io.alignstream.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The process-wide count of live native arrays that long-running services report (issue #8, soak). */
class NativeArraysTest {
  @Test
  void countsEveryModelsArraysAndTheirRelease() {
    int before = NativeArrays.liveInProcess();
    try (Policy policy = Policy.create(GcStressTest.CONFIG, 4);
        RewardModel reward = RewardModel.fromPolicy(policy, 1, 0.02)) {
      int withModels = NativeArrays.liveInProcess();
      assertTrue(Probes.liveArrays(policy) > 0);
      assertEquals(before + Probes.liveArrays(policy) + Probes.liveArrays(reward), withModels);
      policy.generate(List.of(new long[] {3, 4}), SamplingConfig.sample(4), 1);
      assertEquals(withModels, NativeArrays.liveInProcess(), "generation leaves nothing behind");
    }
    assertEquals(before, NativeArrays.liveInProcess(), "closed models release everything");
  }
}
