package io.alignstream.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MainTest {

  private record Run(int code, String out, String err) {}

  private static Run run(String... args) {
    CommandLine cli = Main.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void versionNamesTheStack() {
    Run r = run("version");
    assertEquals(0, r.code());
    assertTrue(r.out().startsWith("alignstream 0."), r.out());
    assertTrue(r.out().contains("kafka   4.3.1"), r.out());
    assertTrue(r.out().contains("djl     0.36.0, pytorch 2.7.1"), r.out());
  }

  @Test
  void everySubcommandHasHelp() {
    for (String name : Main.commandLine().getSubcommands().keySet()) {
      if (!name.equals("help")) {
        Run r = run(name, "--help");
        assertEquals(0, r.code(), name + ": " + r.err());
        assertTrue(r.out().startsWith("Usage: alignstream " + name), r.out());
        assertTrue(r.out().lines().count() > 3, "help explains " + name + ": " + r.out());
      }
    }
  }

  @Test
  void unknownOptionsAreOneClearErrorNotATrace() {
    Run r = run("version", "--no-such-option");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("Unknown option: '--no-such-option'"), r.err());
    assertTrue(!r.err().contains("at io.alignstream"), "no stack trace: " + r.err());
  }
}
