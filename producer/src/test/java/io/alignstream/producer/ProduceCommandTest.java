package io.alignstream.producer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The command's surface, without a broker. */
class ProduceCommandTest {
  @Test
  void helpExplainsFormatsFollowAndTheVerdict() {
    var out = new StringWriter();
    var cli = new CommandLine(new ProduceCommand());
    cli.setOut(new PrintWriter(out));
    assertEquals(0, cli.execute("--help"));
    String help = out.toString();
    for (String s : new String[] {"--follow", "--format", "--prompt-field", "--response-field", "--conversation-field",
        "--bootstrap", "--run", "dead-letter", "conversation", "--wait", "--ingest"}) {
      assertTrue(help.contains(s), () -> s + " missing from:\n" + help);
    }
  }

  @Test
  void inputIsRequiredAndExplained() {
    var err = new StringWriter();
    var cli = new CommandLine(new ProduceCommand());
    cli.setErr(new PrintWriter(err));
    assertEquals(2, cli.execute());
    assertTrue(err.toString().contains("no input: give a JSONL file"), err.toString());
    assertEquals(2, cli.execute("--builtin-task", "some.jsonl"));
    assertEquals(2, cli.execute("does-not-exist.jsonl"));
    assertTrue(err.toString().contains("input does-not-exist.jsonl does not exist"), err.toString());
  }

  @Test
  void formatsAndDurationsReadTheWayPeopleWriteThem() {
    var formats = new ProduceCommand.FormatConverter();
    assertEquals(InputFormat.PROMPT_RESPONSE, formats.convert("prompt-response"));
    assertEquals(InputFormat.HH, formats.convert("HH"));
    assertThrows(CommandLine.TypeConversionException.class, () -> formats.convert("csv"));
    var durations = new io.alignstream.broker.DurationConverter();
    assertEquals(Duration.ofSeconds(30), durations.convert("30s"));
    assertEquals(Duration.ofSeconds(90), durations.convert("PT90S"));
    assertThrows(CommandLine.TypeConversionException.class, () -> durations.convert("soon"));
  }

  @Test
  void theSummarySaysWhatHappened() {
    var s = new ProduceCommand.Summary(10, 1, 0, new BatchVerdict.Counts(6, 2, 1), Duration.ofMillis(1500));
    assertEquals(1, s.unconfirmed());
    assertEquals("sent 10: 6 accepted, 2 duplicates, 1 rejected (unchanged, with reasons, on dlq); 1 lines were not "
        + "readable as demonstrations and were sent as they were; no verdict yet on 1 (is the ingest topology running "
        + "for this run?) [1.5 s]", s.line("dlq"));
    var big = new ProduceCommand.Summary(3, 0, 2, new BatchVerdict.Counts(3, 0, 0), Duration.ofMillis(100));
    assertTrue(big.line("dlq").contains("; 2 lines were larger than the raw topic takes (1,047,552 bytes) and were "
        + "not sent"), big.line("dlq"));
  }
}
