/** The GPT-2 family: its {@code config.json}, parameter layout and forward pass. */
package io.alignstream.model.gpt2;
