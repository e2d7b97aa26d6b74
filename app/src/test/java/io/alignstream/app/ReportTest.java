package io.alignstream.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Time and samples to the demo's goal, read from the curve of judgements. */
class ReportTest {
  @Test
  void theFirstJudgementAtTheGoalCountsEvenIfLaterOnesFallBack() {
    var curve = List.of(new DemoCommand.CurvePoint(1, 0.887, 279, 0), new DemoCommand.CurvePoint(31, 0.90, 342, 1234),
        new DemoCommand.CurvePoint(41, 0.893, 365, 1700), new DemoCommand.CurvePoint(51, 0.92, 380, 2100));

    assertEquals(31, Report.firstAtGoal(curve).orElseThrow().version());
    String line = Report.goalLine(curve, 500);
    assertTrue(line.startsWith("90% golden success first reached at policy version 31, 342 s after the start"), line);
    assertTrue(line.contains("SFT on 500 demonstrations and 1,234 samples trained by the loop; 92.0% at the end"), line);
  }

  @Test
  void aCurveBelowTheGoalSaysSoWithItsBest() {
    var curve = List.of(new DemoCommand.CurvePoint(1, 0.887, 279, 0), new DemoCommand.CurvePoint(11, 0.893, 300, 320));

    assertTrue(Report.firstAtGoal(curve).isEmpty());
    assertEquals("90% golden success not reached by the streaming policy (best 89.3%).", Report.goalLine(curve, 500));
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
