package io.alignstream.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TerminalTest {
  @TempDir
  Path dir;

  @Test
  void whileQuietLogLinesGoToTheFileAndProgressKeepsTheTerminal() throws Exception {
    PrintStream saved = System.err;
    var screen = new ByteArrayOutputStream();
    PrintStream terminal = new PrintStream(screen, true, StandardCharsets.UTF_8);
    System.setErr(terminal);
    try {
      Path log = dir.resolve("run/services.log");
      try (Terminal.Quiet quiet = Terminal.quiet(log)) {
        assertTrue(Terminal.isQuiet());
        assertFalse(Files.exists(log), "no file before the first line");
        assertThrows(IllegalStateException.class, () -> Terminal.quiet(dir.resolve("other.log")));
        System.err.println("12:00:00.000 INFO SamplerService - a service's log line");
        assertSame(terminal, Terminal.err());
        try (ProgressBar bar = ProgressBar.start("demo", 2, "versions")) {
          bar.step(2);
        }
      }
      assertFalse(Terminal.isQuiet());
      assertSame(terminal, System.err, "standard error is back on the terminal");
      System.err.println("after");
      assertEquals("12:00:00.000 INFO SamplerService - a service's log line\n", Files.readString(log));
      String shown = screen.toString(StandardCharsets.UTF_8);
      assertTrue(shown.contains("demo [") && shown.contains("2/2 versions"), shown);
      assertFalse(shown.contains("SamplerService"), shown);
      assertTrue(shown.endsWith("after\n"), shown);
    } finally {
      System.setErr(saved);
    }
  }
}
