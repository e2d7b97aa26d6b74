package io.alignstream.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReportTest {
  private static Evaluation.Result result(double... perPrompt) {
    double mean = 0;
    for (double x : perPrompt) {
      mean += x;
    }
    return new Evaluation.Result(mean / perPrompt.length, List.of(), perPrompt, Map.of());
  }

  private static DemoCommand.Result row(String name, double[] greedy, double[] sampled) {
    return new DemoCommand.Result(name, result(greedy), result(sampled), "");
  }

  @Test
  void theComparisonIsPairedAndSaysTheHeadroomCaptured() {
    var results = List.of(
        row("base (π_0)", new double[] {0, 0, 0, 0}, new double[] {0, 0, 0, 0}),
        row("SFT only", new double[] {1, 0, 0, 0}, new double[] {0.5, 0, 0, 0.25}),
        row("oracle (judge ranks the loop)", new double[] {1, 1, 1, 0}, new double[] {1, 0.5, 0.5, 0.75}),
        row("aligned (AfD loop)", new double[] {1, 1, 0, 0}, new double[] {0.75, 0.25, 0.25, 0.5}));
    var c = DemoComparison.Comparison.of(results);
    assertEquals(List.of("oracle (judge ranks the loop)", "aligned (AfD loop)"), List.copyOf(c.rows().keySet()));
    double[] aligned = c.rows().get("aligned (AfD loop)");
    assertEquals(25.0, aligned[0], 1e-9);
    assertEquals(25.0, aligned[2], 1e-9);
    // Greedy differences 0, 1, 0, 0: sd 0.5, so 1.96 · 0.5 / 2 = 0.49; every sampled difference is 0.25: no spread.
    assertEquals(49.0, aligned[1], 1e-9);
    assertEquals(0.0, aligned[3], 1e-9);
    assertEquals(0.5, c.headroomGreedy(), 1e-9); // (0.5 − 0.25) / (0.75 − 0.25)
    assertEquals(0.5, c.headroomSampled(), 1e-9);
    assertTrue(c.lines().get(c.lines().size() - 1).contains("greedy 50%, sampled 50%"), c.lines().toString());
  }

  @Test
  void noHeadroomWhenTheOracleIsNoBetter() {
    var same = new double[] {1, 0};
    var c = DemoComparison.Comparison.of(List.of(row("SFT only", same, same), row("oracle", same, same),
        row("aligned", same, same)));
    assertTrue(Double.isNaN(c.headroomGreedy()));
    assertTrue(c.lines().get(c.lines().size() - 1).contains("n/a"), c.lines().toString());
  }

  @Test
  void deadLettersAreSaidByReasonWithWhereToFindThem() {
    assertEquals("dead letters: none (every demonstration, prompt and sample was used)",
        Report.deadLetterLine("r1", new java.util.TreeMap<>()));
    assertEquals("dead letters: 3 (prompt-too-long 1, too-long 2), kept with their reasons: "
        + "alignstream export --run r1 --topic demos.dead-letter --out FILE",
        Report.deadLetterLine("r1", new java.util.TreeMap<>(java.util.Map.of("too-long", 2L, "prompt-too-long", 1L))));
  }
}
