# Build the Windows installer: freeze Docent with packaging/docent.spec, smoke-test the freeze,
# then wrap it with Inno Setup. Run from the repository root in PowerShell:
#
#   powershell -ExecutionPolicy Bypass -File packaging\windows\build.ps1            # CPU build
#   powershell -ExecutionPolicy Bypass -File packaging\windows\build.ps1 -Gpu cuda  # CUDA build
#   powershell -ExecutionPolicy Bypass -File packaging\windows\build.ps1 -Gpu vulkan
#
# Needs: Python 3.11+ (python.org), Visual Studio 2022 Build Tools ("Desktop development with C++",
# for llama-cpp-python), Inno Setup 6 (iscc on PATH). -Gpu cuda needs the CUDA Toolkit 12.x;
# -Gpu vulkan needs the Vulkan SDK (glslc). See packaging/README.md.
param([ValidateSet("cpu", "cuda", "vulkan")] [string]$Gpu = "cpu")
$ErrorActionPreference = "Stop"

python packaging\bootstrap.py setup
$py = ".venv\Scripts\python.exe"
if ($Gpu -ne "cpu") {
    $flag = @{ cuda = "-DGGML_CUDA=on"; vulkan = "-DGGML_VULKAN=on" }[$Gpu]
    $env:CMAKE_ARGS = $flag
    $llama = & $py -c "from importlib.metadata import version; print(version('llama-cpp-python'))"
    & $py -m pip install --force-reinstall --no-deps --no-cache-dir "llama-cpp-python==$llama"
    & $py -m docent models   # prints the GPU support this build has
}
& $py -m pip install -e ".[freeze]"
& $py packaging\build.py                 # freeze into build\dist\docent, then the smoke test
if ($LASTEXITCODE -ne 0) { throw "freeze or smoke test failed" }
$version = & $py -c "from importlib.metadata import version; print(version('docent'))"
iscc "/DAppVersion=$version" "/DBuildDir=$PWD\build" packaging\windows\docent.iss
if ($LASTEXITCODE -ne 0) { throw "Inno Setup failed" }
Write-Host "build\Docent-$version-setup.exe"
