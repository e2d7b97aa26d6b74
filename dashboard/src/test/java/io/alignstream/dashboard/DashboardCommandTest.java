package io.alignstream.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class DashboardCommandTest {
  @Test
  void defaultsToLoopbackPort8080AndTheDefaultRun() {
    var command = new DashboardCommand();
    new CommandLine(command).parseArgs();
    DashboardConfig config = command.config();
    assertEquals("127.0.0.1", config.host());
    assertEquals(8080, config.port());
    assertEquals("default", config.runTitle());
  }

  @Test
  void takesPortHostAndRun() {
    var command = new DashboardCommand();
    new CommandLine(command).parseArgs("--port", "0", "--host", "0.0.0.0", "--run", "exp-3");
    DashboardConfig config = command.config();
    assertEquals(0, config.port());
    assertEquals("0.0.0.0", config.host(), "naming a host is the explicit ask");
    assertEquals("exp-3", config.runTitle());
  }

  @Test
  void helpMentionsTheLoopbackDefault() {
    String usage = new CommandLine(new DashboardCommand()).getUsageMessage();
    assertTrue(usage.contains("--host") && usage.contains("127.0.0.1"), usage);
  }
}
