#!/usr/bin/env bash
# Stand-in for kevy-server that runs it under valgrind memcheck; the
# conformance fixtures start it like the real binary (KEVY_SERVER_BIN), and a
# memcheck error or definite leak makes it exit 99, which fails the session.
exec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
  --show-leak-kinds=definite,indirect "${KEVY_REAL_BIN:?}" "$@"
