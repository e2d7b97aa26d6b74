package io.alignstream.producer;

/** How a line of an input file holds a demonstration. */
public enum InputFormat {
  /** Decided per line: the first of the formats below whose fields are present. */
  AUTO,
  /** {@code {"prompt": ..., "response": ...}} (field names configurable). */
  PROMPT_RESPONSE,
  /** {@code {"prompt": "... Assistant: ", "label": ...}}, as in the HH files of this project. */
  HH,
  /**
   * Anthropic's HH-RLHF form: one text field holding {@code \n\nHuman: ... \n\nAssistant: ...}; the
   * last assistant turn is the response, everything before it (ending with {@code Assistant:}) the prompt.
   */
  CONVERSATION
}
