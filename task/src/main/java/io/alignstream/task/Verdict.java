package io.alignstream.task;

/**
 * The golden judge's decision on one response.
 *
 * @param success whether the response is the desired behaviour
 * @param reason a short machine-readable code ({@code correct}, {@code wrong-answer},
 *     {@code refused-harmful}, {@code complied-harmful}, ...), then {@code ": "} and details for people
 */
public record Verdict(boolean success, String reason) {
  public Verdict {
    if (reason == null || reason.isBlank()) {
      throw new IllegalArgumentException("a verdict needs a reason");
    }
  }

  static Verdict pass(String code) {
    return new Verdict(true, code);
  }

  static Verdict fail(String code, String detail) {
    return new Verdict(false, code + ": " + detail);
  }

  /** The machine-readable part of {@link #reason}. */
  public String code() {
    int colon = reason.indexOf(':');
    return colon < 0 ? reason : reason.substring(0, colon);
  }
}
