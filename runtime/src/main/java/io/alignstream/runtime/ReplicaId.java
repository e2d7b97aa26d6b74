package io.alignstream.runtime;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/** What may name a service replica, and the default: unique among live processes, new on every restart. */
public final class ReplicaId {
  /** What {@link #valid} asks of an id, for error messages. */
  public static final String RULE = "must be 1 to 100 letters, digits, '.', '_' or '-'";
  // Ids end up in transactional ids, group ids and Kafka client ids: keep them to safe characters.
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");

  private ReplicaId() {}

  /** Whether {@code id} may name a replica or a model line ({@link #RULE}). */
  public static boolean valid(String id) {
    return id != null && ID.matcher(id).matches();
  }

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
