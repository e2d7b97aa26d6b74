package io.alignstream.schemas;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Ids derived from content, so that producing the same data twice yields the same keys and the
 * duplicates collapse (in compacted topics and in the learner's bookkeeping).
 */
public final class ContentId {
  private ContentId() {}

  /** Id of a prompt: the first 128 bits of SHA-256 of its UTF-8 text, in hex. */
  public static String ofPrompt(String prompt) {
    return digest("prompt", prompt);
  }

  /** Id of a demonstration: hashes prompt and response with an unambiguous separator. */
  public static String ofDemonstration(String prompt, String response) {
    return digest("demonstration", prompt.length() + ":" + prompt + response);
  }

  /** Full hex SHA-256 of bytes: the checksum of weight chunks and checkpoints. */
  public static String sha256(byte[] bytes) {
    return HexFormat.of().formatHex(sha().digest(bytes));
  }

  private static String digest(String domain, String text) {
    MessageDigest md = sha();
    md.update(domain.getBytes(StandardCharsets.UTF_8));
    md.update((byte) 0);
    md.update(text.getBytes(StandardCharsets.UTF_8));
    return HexFormat.of().formatHex(md.digest(), 0, 16);
  }

  private static MessageDigest sha() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
