#!/bin/sh
# Build Docent.app and a .dmg on macOS 12+ (Apple Silicon or Intel), from the repository root:
#
#   sh packaging/macos/build_dmg.sh
#
# Needs: Python 3.11+ (python.org universal installer or Homebrew) and the Xcode command line tools
# (xcode-select --install) for llama-cpp-python. On Apple Silicon llama.cpp is built with Metal
# (the GPU) by default; set DOCENT_NO_METAL=1 for a CPU-only build. To sign and notarize, set
# DOCENT_SIGN_IDENTITY ("Developer ID Application: ...") and DOCENT_NOTARY_PROFILE (a profile saved
# with `xcrun notarytool store-credentials`). See packaging/README.md.
set -eu

python3 packaging/bootstrap.py setup
PY=.venv/bin/python
if [ "$(uname -m)" = "arm64" ] && [ -z "${DOCENT_NO_METAL:-}" ]; then
    CMAKE_ARGS="-DGGML_METAL=on" $PY -m pip install --force-reinstall --no-deps --no-cache-dir \
        "llama-cpp-python==$($PY -c "from importlib.metadata import version; print(version('llama-cpp-python'))")"
fi
$PY -m docent models                      # prints the GPU support this build has
$PY -m pip install -e ".[freeze]"
$PY packaging/build.py                    # freeze (build/dist/docent and build/dist/Docent.app), smoke test

VERSION=$($PY -c "from importlib.metadata import version; print(version('docent'))")
APP=build/dist/Docent.app
if [ -n "${DOCENT_SIGN_IDENTITY:-}" ]; then
    codesign --force --deep --options runtime --timestamp --sign "$DOCENT_SIGN_IDENTITY" "$APP"
else
    codesign --force --deep --sign - "$APP"      # ad hoc: runs on this Mac; Gatekeeper warns elsewhere
fi
DMG="build/Docent-$VERSION.dmg"
rm -f "$DMG"
STAGE=build/dmg
rm -rf "$STAGE" && mkdir -p "$STAGE"
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
hdiutil create -volname "Docent $VERSION" -srcfolder "$STAGE" -ov -format UDZO "$DMG"
if [ -n "${DOCENT_SIGN_IDENTITY:-}" ] && [ -n "${DOCENT_NOTARY_PROFILE:-}" ]; then
    codesign --sign "$DOCENT_SIGN_IDENTITY" --timestamp "$DMG"
    xcrun notarytool submit "$DMG" --keychain-profile "$DOCENT_NOTARY_PROFILE" --wait
    xcrun stapler staple "$DMG"
fi
echo "$DMG"
