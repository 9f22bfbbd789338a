//! Test harness: real services, fresh databases and vhosts per test.
