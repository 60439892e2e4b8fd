//! Test harness: find JDKs, compile Java apps, run them with the agent.
