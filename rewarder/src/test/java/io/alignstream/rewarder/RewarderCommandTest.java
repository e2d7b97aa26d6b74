package io.alignstream.rewarder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class RewarderCommandTest {
  private static RewarderConfig parse(String... args) {
    var command = new RewarderCommand();
    new CommandLine(command).parseArgs(args);
    return command.config();
  }

  @Test
  void everyConfigFieldHasAnOption() {
    RewarderConfig c = parse("--run", "r9", "--rewarder-id", "rw-1", "--max-batch", "16", "--weights-timeout", "90s",
        "--device", "CPU");
    assertEquals(new RewarderConfig("r9", "rw-1", 16, Duration.ofSeconds(90), ScoringDevice.CPU), c);
  }

  @Test
  void defaultsMatchTheConfig() {
    RewarderConfig c = parse();
    assertEquals(RewarderConfig.DEFAULT_MAX_BATCH, c.maxBatch());
    assertEquals(RewarderConfig.DEFAULT_WEIGHTS_TIMEOUT, c.weightsTimeout());
    assertEquals(ScoringDevice.AUTO, c.device());
    assertEquals("default", c.runId());
  }

  @Test
  void rejectsAnUnknownDevice() {
    var e = assertThrows(CommandLine.ParameterException.class,
        () -> new CommandLine(new RewarderCommand()).parseArgs("--device", "tpu"));
    assertTrue(e.getMessage().contains("auto, cpu or gpu"), e.getMessage());
  }

  @Test
  void helpExplainsTheService() {
    var out = new StringWriter();
    int code = new CommandLine(new RewarderCommand()).setOut(new PrintWriter(out)).execute("--help");
    assertEquals(0, code);
    String help = out.toString().replaceAll("\\s+", " ");
    assertTrue(help.contains("exactly once"), help);
    assertTrue(help.contains("--max-batch") && help.contains("--device") && help.contains("--weights-timeout"), help);
    assertTrue(help.contains("--bootstrap"), help);
  }
}
