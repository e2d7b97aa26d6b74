/** Live charts of a run, served on 127.0.0.1 from its metrics and events topics. */
package io.alignstream.dashboard;
