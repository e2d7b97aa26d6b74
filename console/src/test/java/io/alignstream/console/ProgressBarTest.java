package io.alignstream.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressBarTest {

  @Test
  void rendersCountRateEtaAndFigures() {
    AtomicLong now = new AtomicLong(0);
    var bytes = new ByteArrayOutputStream();
    var bar = new ProgressBar("pretrain", 1000, "tok", new PrintStream(bytes, true, StandardCharsets.UTF_8),
        false, 1000, now::get);
    now.set(2_000_000_000L); // 2 s later
    bar.step(250);
    bar.set("loss", "%.2f", 1.234);
    String line = bar.render(now.get());
    assertTrue(line.startsWith("pretrain [######"), line);
    assertTrue(line.contains("25% 250/1000 tok"), line);
    assertTrue(line.contains("| 125 tok/s"), line); // 250 in 2 s
    assertTrue(line.contains("ETA 0m06s"), line); // 750 left at 125/s
    assertTrue(line.endsWith("loss 1.23"), line);
  }

  @Test
  void plainOutputIsThrottledAndCloseAlwaysPrintsTheLastLine() {
    AtomicLong now = new AtomicLong(0);
    var bytes = new ByteArrayOutputStream();
    var bar = new ProgressBar("ingest", 0, "rec", new PrintStream(bytes, true, StandardCharsets.UTF_8),
        false, 1000, now::get);
    for (int i = 0; i < 100; i++) {
      now.addAndGet(50_000_000L); // 100 steps over 5 s, at most one line a second
      bar.step(1);
    }
    bar.close();
    String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
    assertTrue(lines.length >= 5 && lines.length <= 6, "lines: " + lines.length);
    assertTrue(lines[lines.length - 1].startsWith("ingest 100 rec"), lines[lines.length - 1]);
  }

  @Test
  void compactNumbers() {
    assertEquals("12.3k", ProgressBar.compact(12_345));
    assertEquals("1.50M", ProgressBar.compact(1_500_000));
    assertEquals("7.5", ProgressBar.compact(7.5));
  }
}
