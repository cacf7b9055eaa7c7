<#
.SYNOPSIS
  Install WebBridge from this checkout and register it with your browsers (Windows).

.DESCRIPTION
  installer\install.ps1 [options] [webbridge install options...]

  Options (everything else goes to `webbridge install`, e.g. --browser chrome, --extension-id ID, --system):
    --venv DIR     the virtual environment to create/use (default: $env:WEBBRIDGE_VENV, else
                   %LOCALAPPDATA%\WebBridge\venv)
    --no-venv      use the Python found (or --python) as it is; pip-install into it only when it does not
                   already import webbridge from this checkout
    --python PY    the interpreter to use (default: $env:WEBBRIDGE_PYTHON, else `py -3.13/-3.12/-3.11`, else
                   the first python >= 3.11 on PATH)
    --editable     pip install -e (for development)
    -h, --help     this text

  Then runs `webbridge install ...` and `webbridge doctor`. Safe to run again: every step is idempotent.
  If scripts are blocked: powershell -ExecutionPolicy Bypass -File installer\install.ps1
#>
# No param() block on purpose: PowerShell would try to bind GNU-style options like --browser itself.
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

function Say([string]$Message) { Write-Host "webbridge-installer: $Message" }
function Die([string]$Message) { Write-Host "webbridge-installer: error: $Message" -ForegroundColor Red; exit 1 }

$Root = (Resolve-Path (Join-Path $PSScriptRoot '..')).Path
$Venv = if ($env:WEBBRIDGE_VENV) { $env:WEBBRIDGE_VENV } else { Join-Path $env:LOCALAPPDATA 'WebBridge\venv' }
$Python = if ($env:WEBBRIDGE_PYTHON) { $env:WEBBRIDGE_PYTHON } else { '' }
$UseVenv = $true
$Editable = $false
$Rest = New-Object System.Collections.Generic.List[string]

for ($i = 0; $i -lt $args.Count; $i++) {
    $arg = [string]$args[$i]
    switch -Regex ($arg) {
        '^--no-venv$' { $UseVenv = $false; continue }
        '^--editable$' { $Editable = $true; continue }
        '^--venv$' { $i++; if ($i -ge $args.Count) { Die '--venv needs a folder' }; $Venv = [string]$args[$i]; continue }
        '^--venv=' { $Venv = $arg.Substring(7); continue }
        '^--python$' { $i++; if ($i -ge $args.Count) { Die '--python needs an interpreter' }; $Python = [string]$args[$i]; continue }
        '^--python=' { $Python = $arg.Substring(9); continue }
        '^(-h|--help)$' { Get-Help $PSCommandPath -Detailed; exit 0 }
        default { $Rest.Add($arg) }
    }
}

function Test-Recent([string[]]$Command) {
    $exe = $Command[0]
    $pre = @($Command | Select-Object -Skip 1)
    try {
        & $exe @pre -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>$null | Out-Null
        return ($LASTEXITCODE -eq 0)
    } catch { return $false }
}

function Get-Executable([string[]]$Command) {
    $exe = $Command[0]
    $pre = @($Command | Select-Object -Skip 1)
    return (& $exe @pre -c 'import sys; print(sys.executable)').Trim()
}

if ($Python) {
    if (-not (Test-Recent @($Python))) { Die "$Python is missing or older than Python 3.11" }
    $Python = Get-Executable @($Python)
} else {
    $candidates = @()
    if (Get-Command py -ErrorAction SilentlyContinue) {
        $candidates += , @('py', '-3.13')
        $candidates += , @('py', '-3.12')
        $candidates += , @('py', '-3.11')
    }
    $candidates += , @('python')
    $candidates += , @('python3')
    foreach ($candidate in $candidates) {
        if ((Get-Command $candidate[0] -ErrorAction SilentlyContinue) -and (Test-Recent $candidate)) {
            $Python = Get-Executable $candidate
            break
        }
    }
    if (-not $Python) { Die 'WebBridge needs Python 3.11 or newer: install it from python.org (or `winget install Python.Python.3.12`) and retry' }
}
# pythonw.exe has no console streams; the browser talks to the relay over stdio.
if ((Split-Path $Python -Leaf) -ieq 'pythonw.exe') { $Python = Join-Path (Split-Path $Python) 'python.exe' }
Say "using $Python"

function Install-Project([string]$Py) {
    $pipArgs = @('-m', 'pip', 'install', '--quiet', '--disable-pip-version-check')
    if ($Editable) { $pipArgs += '-e' }
    & $Py @pipArgs $Root
    if ($LASTEXITCODE -ne 0) { Die 'pip install failed' }
}

if ($UseVenv) {
    $Py = Join-Path $Venv 'Scripts\python.exe'
    if (-not (Test-Path $Py)) {
        Say "creating a virtual environment in $Venv"
        New-Item -ItemType Directory -Force -Path (Split-Path $Venv) | Out-Null
        & $Python -m venv $Venv
        if ($LASTEXITCODE -ne 0) { Die "could not create $Venv" }
    }
    Say "installing WebBridge from $Root into $Venv"
    Install-Project $Py
} else {
    $Py = $Python
    $check = 'import os, sys, webbridge; root = os.path.realpath(sys.argv[1]); sys.exit(0 if os.path.realpath(webbridge.__file__).startswith(root + os.sep) else 1)'
    & $Py -c $check (Join-Path $Root 'host') 2>$null | Out-Null
    if ($LASTEXITCODE -eq 0) {
        Say "WebBridge from $Root is already installed in $Py"
    } else {
        Say "installing WebBridge from $Root into $Py"
        Install-Project $Py
    }
}

& $Py -m webbridge install @Rest
if ($LASTEXITCODE -ne 0) { Die 'webbridge install failed' }
Write-Host ''
& $Py -m webbridge doctor
if ($LASTEXITCODE -ne 0) { Say 'doctor found something to fix (above); the daemon starts by itself when the extension connects' }
Write-Host ''
if ($UseVenv) {
    Say "done. The command is $(Join-Path $Venv 'Scripts\webbridge.exe') (add $(Join-Path $Venv 'Scripts') to your PATH)."
} else {
    Say 'done.'
}
Say 'next: load the extension (extension\ folder, edge://extensions or chrome://extensions, Developer mode), then run: webbridge pair'
exit 0
