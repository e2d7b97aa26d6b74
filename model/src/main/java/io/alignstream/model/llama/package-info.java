/** The Llama family (Llama 2 and 3, SmolLM2, Qwen2, Qwen3): its {@code config.json}, parameter layout and forward pass. */
package io.alignstream.model.llama;
