# Shared settings of the image scripts (sourced, not run). Every buildah call goes through `bh`,
# which keeps the project's images in their own storage under the tool cache, on the vfs driver
# (no overlay mounts needed), away from the work tree and from any other buildah user.
# test/images/buildah.ts passes the same flags, so the tests see the same images.
HELLO_EDGE_CACHE="${HELLO_EDGE_CACHE:-$HOME/.cache/hello-edge}"
IMAGES_DIR="${HELLO_EDGE_IMAGES_DIR:-$HELLO_EDGE_CACHE/images}"
STANDIN_BUILD_IMAGE="${STANDIN_BUILD_IMAGE:-localhost/hello-edge/node24-standin-build:latest}"
STANDIN_RUNTIME_IMAGE="${STANDIN_RUNTIME_IMAGE:-localhost/hello-edge/node24-standin-runtime:latest}"

bh() {
  buildah --root "$IMAGES_DIR/storage" --runroot "$IMAGES_DIR/run" --storage-driver vfs "$@"
}
