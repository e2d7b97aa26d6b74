package io.alignstream.dashboard;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;

/**
 * Where the dashboard listens and what it calls the run.
 *
 * <p>The dashboard has no authentication, so it listens on the loopback interface unless the caller
 * sets {@code allowNonLoopback}: a typo in {@code host} must not publish a run's metrics to a network.
 *
 * @param host interface to bind, a name or an address literal; loopback unless {@code allowNonLoopback}
 * @param port TCP port, 0 for any free port
 * @param runTitle shown in the page's title and header, usually the run id
 * @param allowNonLoopback whether {@code host} may resolve to a non-loopback address
 */
public record DashboardConfig(String host, int port, String runTitle, boolean allowNonLoopback) {
  /** The default interface: IPv4 loopback. */
  public static final String LOOPBACK = "127.0.0.1";
  /** Port of the {@code dashboard} command when none is given. */
  public static final int DEFAULT_PORT = 8080;

  public DashboardConfig {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(runTitle, "runTitle");
    if (host.isBlank()) {
      throw new IllegalArgumentException("host is blank: give an interface such as " + LOOPBACK);
    }
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("port " + port + " is out of range: give 1-65535, or 0 for any free port");
    }
    if (runTitle.isBlank()) {
      throw new IllegalArgumentException("run title is blank: give the run id");
    }
    if (!allowNonLoopback && !isLoopback(host)) {
      throw new IllegalArgumentException("host '" + host + "' is not a loopback address and the dashboard has no "
          + "authentication: use " + LOOPBACK + ", or ask for a non-loopback host explicitly");
    }
  }

  /** The dashboard of run {@code runTitle} on {@code 127.0.0.1:port} (0 = any free port). */
  public static DashboardConfig loopback(String runTitle, int port) {
    return new DashboardConfig(LOOPBACK, port, runTitle, false);
  }

  /** Whether {@code host} resolves to a loopback address (unresolvable names are not). */
  public static boolean isLoopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
