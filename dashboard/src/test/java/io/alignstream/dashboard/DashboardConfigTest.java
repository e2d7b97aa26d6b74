package io.alignstream.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DashboardConfigTest {
  @Test
  void theDefaultIsIpv4LoopbackOnlyAndPortZeroMeansAnyFreePort() {
    DashboardConfig config = DashboardConfig.loopback("run-1", 0);
    assertEquals("127.0.0.1", config.host());
    assertEquals(0, config.port());
    assertFalse(config.allowNonLoopback());
  }

  @Test
  void aNonLoopbackHostNeedsAnExplicitAsk() {
    var e = assertThrows(IllegalArgumentException.class, () -> new DashboardConfig("0.0.0.0", 8080, "run", false));
    assertTrue(e.getMessage().contains("not a loopback address"), e.getMessage());
    assertEquals("0.0.0.0", new DashboardConfig("0.0.0.0", 8080, "run", true).host());
    // Other loopback spellings are fine without the ask.
    new DashboardConfig("localhost", 8080, "run", false);
    new DashboardConfig("::1", 8080, "run", false);
    new DashboardConfig("127.0.0.2", 8080, "run", false);
  }

  @Test
  void rejectsBadPortsBlankHostsAndTitlesWithAHint() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> DashboardConfig.loopback("run", 65_536))
        .getMessage().contains("0 for any free port"));
    assertThrows(IllegalArgumentException.class, () -> DashboardConfig.loopback("run", -1));
    assertThrows(IllegalArgumentException.class, () -> new DashboardConfig(" ", 0, "run", true));
    assertThrows(IllegalArgumentException.class, () -> DashboardConfig.loopback(" ", 0));
    assertThrows(NullPointerException.class, () -> new DashboardConfig(null, 0, "run", false));
  }

  @Test
  void unresolvableHostsAreNotLoopback() {
    assertFalse(DashboardConfig.isLoopback("no-such-host.invalid"));
    assertTrue(DashboardConfig.isLoopback("127.0.0.1"));
  }
}
