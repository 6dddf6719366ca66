#!/usr/bin/env bash
# Builds the .deb and the tarball with CPack, unpacks the .deb into a temporary root (dpkg -x) and
# runs the installed mistudio-cli. Checks the desktop entry, MIME type, icons and dependencies.
set -euo pipefail
build=${1:?usage: check_package.sh BUILD_DIR}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$build"
cpack -G "DEB;TGZ" -B "$work/out" >"$work/cpack.log" 2>&1 || { cat "$work/cpack.log"; exit 1; }
deb=$(ls "$work"/out/*.deb | head -n 1)
tgz=$(ls "$work"/out/*.tar.gz | head -n 1)
[ -f "$deb" ] && [ -f "$tgz" ] || { echo "missing package files"; ls "$work/out"; exit 1; }

depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for lib in libopenblas0 libsqlite3 libtorch libqt6widgets6; do
  grep -q "$lib" <<<"$depends" || { echo "dependency on $lib missing"; exit 1; }
done

root="$work/root"
dpkg -x "$deb" "$root"
for f in usr/bin/mistudio-cli usr/share/applications/mistudio.desktop \
         usr/share/mime/packages/mistudio.xml usr/share/icons/hicolor/256x256/apps/mistudio.png \
         usr/share/icons/hicolor/48x48/apps/mistudio.png usr/share/icons/hicolor/scalable/apps/mistudio.svg; do
  [ -e "$root/$f" ] || { echo "not in the package: $f"; exit 1; }
done
grep -q 'MimeType=application/x-mistudio-project' "$root/usr/share/applications/mistudio.desktop"
grep -q '\*.mistudio' "$root/usr/share/mime/packages/mistudio.xml"

version=$("$root/usr/bin/mistudio-cli" --version)
echo "installed: $version"
grep -q "mistudio-cli [0-9]" <<<"$version"
"$root/usr/bin/mistudio-cli" env > "$work/env.json"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['version'] and d['libtorch_version'], d" "$work/env.json"

# The tarball is relocatable: unpack anywhere and run.
mkdir -p "$work/tar" && tar -xzf "$tgz" -C "$work/tar"
"$(find "$work/tar" -path '*/bin/mistudio-cli' | head -n 1)" --version >/dev/null
echo "packages ok: $(basename "$deb"), $(basename "$tgz")"
