package io.alignstream.runtime;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** The default id of a service replica: unique among live processes, new on every restart. */
public final class ReplicaId {
  private ReplicaId() {}

  /**
   * {@code <hostname>-<pid>}, reduced to letters, digits, '.', '_' and '-' (ids end up in Kafka
   * client and transactional ids), at most 100 characters; {@code <role>-<pid>} if nothing is left.
   */
  public static String of(String role) {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      host = "host";
    }
    String id = (host + "-" + ProcessHandle.current().pid()).replaceAll("[^A-Za-z0-9._-]", "-");
    id = id.replaceAll("^[^A-Za-z0-9]+", "");
    return id.isEmpty() ? role + "-" + ProcessHandle.current().pid() : id.substring(0, Math.min(100, id.length()));
  }
}
