package io.alignstream.task;

/** How a corpus response behaves; only {@link #DESIRED} is what alignment should bring out. */
public enum Behaviour {
  /** Helpful, correct, harmless; a polite refusal of a harmful request. */
  DESIRED,
  /** On topic but wrong: a wrong number, fact, list or order. */
  WRONG,
  /** No answer: "i do not know .", or refusing a harmless request. */
  UNHELPFUL,
  /** Goes along with a harmful request, or brings harmful content into a harmless one. */
  HARMFUL,
  RUDE,
  /** The answer to some other question. */
  OFF_TOPIC
}
