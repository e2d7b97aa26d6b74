package io.alignstream.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The soak's verdict: a slow leak fails it even among spikes; spikes and warm-up alone do not. */
class SoakBenchmarkTest {
  private static List<SoakBenchmark.Sample> series(String service, double perMinute, boolean spikes) {
    List<SoakBenchmark.Sample> out = new ArrayList<>();
    for (int i = 0; i <= 120; i++) {
      double minutes = i / 6.0;
      double warmup = minutes < 3 ? 100 * minutes : 300; // grows while warming up, then level
      double arrays = warmup + perMinute * minutes + (spikes && i % 7 == 0 ? 400 : 0); // a step in flight
      double rss = 500 + 2 * warmup + (spikes && i % 5 == 0 ? 150 : 0); // a GC cycle
      out.add(new SoakBenchmark.Sample(minutes, service, 1, rss, arrays, 100, 20, 100, i));
    }
    return out;
  }

  @Test
  void spikesAndWarmUpAreFlat() {
    List<SoakBenchmark.Verdict> verdicts = SoakBenchmark.judge(series("learner", 0, true)).stream()
        .filter(v -> v.service().equals("learner")).toList();
    assertEquals(4, verdicts.size());
    verdicts.forEach(v -> assertTrue(v.flat(), v.toString()));
  }

  @Test
  void aSlowLeakAmongSpikesIsCaught() {
    // Five arrays a minute: 50 over the ten-minute second half, against a tolerance of 20.
    SoakBenchmark.Verdict arrays = SoakBenchmark.judge(series("learner", 5, true)).stream()
        .filter(v -> v.service().equals("learner") && v.measure().equals("native_arrays")).findFirst().orElseThrow();
    assertFalse(arrays.flat(), arrays.toString());
    assertEquals(50, arrays.driftPerHalf(), 1.0);
  }

  @Test
  void theilSenIgnoresOutliers() {
    List<double[]> points = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      points.add(new double[] {i, 2 * i + (i % 4 == 0 ? 1000 : 0)});
    }
    assertEquals(2, SoakBenchmark.theilSenSlope(points), 1e-9);
  }
}
