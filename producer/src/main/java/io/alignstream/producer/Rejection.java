package io.alignstream.producer;

import java.util.Locale;

/** Why the ingest topology rejected a raw record; {@link #code} goes into the dead-letter headers. */
public enum Rejection {
  /** A record with no value (a tombstone): nothing to ingest. */
  EMPTY_RECORD,
  /** The value is not strictly valid UTF-8. */
  BAD_UTF8,
  /** The value is not one JSON document (syntax error, trailing data, duplicate field names). */
  NOT_JSON,
  /** The JSON is not an object. */
  NOT_OBJECT,
  /** {@code prompt} or {@code response} is absent or null. */
  MISSING_FIELD,
  /** {@code prompt}, {@code response} or {@code source} is not a string. */
  WRONG_TYPE,
  /** {@code prompt} or {@code response} is empty or only white space. */
  EMPTY_FIELD,
  /** A control character other than newline and tab. */
  CONTROL_CHAR,
  /** More characters than the configured limit. */
  TOO_LONG,
  /** More approximate tokens than the configured limit. */
  TOO_MANY_TOKENS,
  /** Not text a model should learn: no letter or digit, a lone surrogate, or an unsplit conversation. */
  MALFORMED;

  /** The machine-readable code, e.g. {@code bad-utf8}. */
  public final String code = name().toLowerCase(Locale.ROOT).replace('_', '-');

  public static Rejection ofCode(String code) {
    for (Rejection r : values()) {
      if (r.code.equals(code)) {
        return r;
      }
    }
    throw new IllegalArgumentException("unknown rejection code '" + code + "'");
  }
}
