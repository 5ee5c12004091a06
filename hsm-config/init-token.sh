#!/usr/bin/env bash
# Makes (or re-uses) a SoftHSM2 token in a directory of its own:
#   DIR/softhsm2.conf   SoftHSM configuration (export SOFTHSM2_CONF=DIR/softhsm2.conf)
#   DIR/tokens/         the token files
#   DIR/user.pin        the user PIN, generated, mode 0600 (what the server reads)
#   DIR/so.pin          the security officer PIN, generated, mode 0600
#   DIR/pkcs11.cfg      the SunPKCS11 configuration for the token's slot
# Usage: init-token.sh DIR [TOKEN_LABEL]      Running it again re-uses the token.
set -euo pipefail

dir=${1:?usage: init-token.sh DIR [TOKEN_LABEL]}
label=${2:-grpca}
here=$(cd "$(dirname "$0")" && pwd)

lib=""
for candidate in /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so \
  /usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so /usr/local/lib/softhsm/libsofthsm2.so; do
  if [ -f "$candidate" ]; then lib=$candidate; break; fi
done
if [ -z "$lib" ] || ! command -v softhsm2-util >/dev/null; then
  echo "init-token.sh: SoftHSM2 is not installed (Debian/Ubuntu: apt-get install softhsm2)" >&2
  exit 1
fi

mkdir -p "$dir/tokens"
dir=$(cd "$dir" && pwd)
chmod 0700 "$dir" "$dir/tokens"
export SOFTHSM2_CONF="$dir/softhsm2.conf"
sed "s#@TOKENDIR@#$dir/tokens#" "$here/softhsm2.conf.template" >"$SOFTHSM2_CONF"

new_pin() { (umask 077 && head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$1"); }

find_slot() {
  softhsm2-util --show-slots | awk -v want="$label" '
    /^Slot [0-9]+/ { slot = $2 }
    /^[[:space:]]+Label:/ { sub(/^[[:space:]]+Label:[[:space:]]*/, ""); sub(/[[:space:]]+$/, "");
                            if ($0 == want) { print slot; exit } }'
}

slot=$(find_slot)
if [ -z "$slot" ]; then
  [ -s "$dir/user.pin" ] || new_pin "$dir/user.pin"
  [ -s "$dir/so.pin" ] || new_pin "$dir/so.pin"
  # softhsm2-util takes PINs only as arguments; this runs once, on a development token.
  softhsm2-util --init-token --free --label "$label" \
    --pin "$(cat "$dir/user.pin")" --so-pin "$(cat "$dir/so.pin")" >/dev/null
  slot=$(find_slot)
  [ -n "$slot" ] || { echo "init-token.sh: token '$label' not found after init" >&2; exit 1; }
  echo "init-token.sh: created token '$label' in slot $slot under $dir/tokens"
fi
if [ ! -s "$dir/user.pin" ]; then
  echo "init-token.sh: token '$label' exists but $dir/user.pin is missing;" \
    "put the PIN back or remove $dir to start over" >&2
  exit 1
fi
chmod 0600 "$dir/user.pin"
[ ! -e "$dir/so.pin" ] || chmod 0600 "$dir/so.pin"

sed -e "s#@LIBRARY@#$lib#" -e "s#@SLOT@#$slot#" "$here/sunpkcs11.cfg.template" >"$dir/pkcs11.cfg"
