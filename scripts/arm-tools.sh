# Sourced by the aarch64 test scripts: makes sure Debian's aarch64 cross compiler (with its C and C++ runtime
# under /usr/aarch64-linux-gnu) and qemu-user are installed, with apt when this is root. Returns 1 when they are
# missing and cannot be installed (no root, no apt, offline); the caller skips with a message then.
arm_tools() {
  if ! command -v aarch64-linux-gnu-g++ >/dev/null || ! command -v qemu-aarch64 >/dev/null; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
      export DEBIAN_FRONTEND=noninteractive
      apt-get install -y --no-install-recommends g++-aarch64-linux-gnu qemu-user >/dev/null 2>&1 ||
        { apt-get update >/dev/null 2>&1 && apt-get install -y --no-install-recommends g++-aarch64-linux-gnu qemu-user >/dev/null 2>&1; } || true
    fi
  fi
  command -v aarch64-linux-gnu-g++ >/dev/null && command -v qemu-aarch64 >/dev/null
}
