# Installs the gptimg binary for Windows x64 from a release:
#   irm https://github.com/gptimg/gptimg/releases/latest/download/install.ps1 | iex
#   & ([scriptblock]::Create((irm .../install.ps1))) -Prefix C:\tools\gptimg
# Downloads SHA256SUMS and gptimg-<version>-windows-x64.exe, refuses to install when the
# checksum does not match, installs it as <Prefix>\gptimg.exe (default
# %LOCALAPPDATA%\Programs\gptimg) and says how to put that folder on PATH.
# GPTIMG_DOWNLOAD_URL: where the release files are (default: the latest release).
param([string]$Prefix = (Join-Path $env:LOCALAPPDATA "Programs\gptimg"))
$ErrorActionPreference = "Stop"
$ProgressPreference = "SilentlyContinue"

$base = if ($env:GPTIMG_DOWNLOAD_URL) { $env:GPTIMG_DOWNLOAD_URL } else { "https://github.com/gptimg/gptimg/releases/latest/download" }
$arch = [System.Runtime.InteropServices.RuntimeInformation]::OSArchitecture
if ($arch -ne [System.Runtime.InteropServices.Architecture]::X64) {
  throw "gptimg install: no gptimg binary for Windows $arch; only windows-x64 is published"
}
$target = "windows-x64"

$tmp = Join-Path ([System.IO.Path]::GetTempPath()) ("gptimg-" + [guid]::NewGuid())
New-Item -ItemType Directory -Path $tmp | Out-Null
try {
  $sums = Join-Path $tmp "SHA256SUMS"
  Invoke-WebRequest -UseBasicParsing -Uri "$base/SHA256SUMS" -OutFile $sums
  $line = Get-Content $sums | Where-Object { $_ -match "^[0-9a-f]{64}  gptimg-\S+-$target\.exe$" } | Select-Object -First 1
  if (-not $line) { throw "gptimg install: the release at $base has no binary for $target" }
  $expected, $file = $line -split "  ", 2
  Write-Host "downloading $file"
  $download = Join-Path $tmp $file
  Invoke-WebRequest -UseBasicParsing -Uri "$base/$file" -OutFile $download
  $actual = (Get-FileHash -Algorithm SHA256 $download).Hash.ToLowerInvariant()
  if ($actual -ne $expected) {
    throw "gptimg install: checksum mismatch for ${file}: expected $expected from SHA256SUMS, got $actual; nothing was installed"
  }
  New-Item -ItemType Directory -Force -Path $Prefix | Out-Null
  $dest = Join-Path $Prefix "gptimg.exe"
  Move-Item -Force $download $dest
  Write-Host "installed $(& $dest --version) to $dest"
  $userPath = [Environment]::GetEnvironmentVariable("Path", "User")
  if (($userPath -split ";") -notcontains $Prefix) {
    Write-Host "$Prefix is not on your PATH; add it with:"
    Write-Host "  [Environment]::SetEnvironmentVariable('Path', `"$Prefix;`" + [Environment]::GetEnvironmentVariable('Path', 'User'), 'User')"
    Write-Host "then open a new terminal."
  }
} finally {
  Remove-Item -Recurse -Force $tmp -ErrorAction SilentlyContinue
}
