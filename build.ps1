#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Builds Dvs (native shim through CMake, then the managed projects), runs every test (NUnit and,
    one NUnit case each, the C tests of the shim), and runs a short benchmark smoke.

.DESCRIPTION
    Run it through the tool manifest, so nothing but the .NET SDK has to be installed:
        dotnet tool run pwsh ./build.ps1                    # All: Build, Test, Bench
        dotnet tool run pwsh ./build.ps1 -Target Test
        dotnet tool run pwsh ./build.ps1 -Target Build -Configuration Debug
    The native build needs cmake and a C compiler on PATH (.ci/run installs them on CI).
    Any failing step stops the script with a non-zero exit code.

.PARAMETER Target
    Build: restore and build everything. Test: the README's test command, then a summary line
    "N passed, N failed, N skipped". Bench: every benchmark once, very short (--smoke). All: the three.

.PARAMETER Configuration
    Build configuration for Build and Test (the benchmarks always run in Release).
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Bench', 'All')]
    [string] $Target = 'All',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release'
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
# Exit codes of native commands are checked by Invoke-Native, so that the test step can still
# count the results of a failed run before it fails.
$PSNativeCommandUseErrorActionPreference = $false

$Root = $PSScriptRoot
$Solution = Join-Path $Root 'Dvs.sln'
$ResultsDir = Join-Path $Root 'artifacts/test-results'
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'

function Write-Step([string] $Text) {
    Write-Host "==> $Text" -ForegroundColor Cyan
}

# Runs a native command and throws when it exits with a non-zero code.
function Invoke-Native([string] $Command, [string[]] $Arguments) {
    Write-Host "$Command $($Arguments -join ' ')" -ForegroundColor DarkGray
    & $Command @Arguments
    if ($LASTEXITCODE -ne 0) {
        throw "'$Command $($Arguments -join ' ')' failed with exit code $LASTEXITCODE"
    }
}

function Assert-Tool([string] $Name, [string] $Why) {
    if (-not (Get-Command $Name -ErrorAction SilentlyContinue)) {
        throw "$Name is not on PATH: $Why"
    }
}

function Invoke-Build {
    Write-Step "Build ($Configuration): native shim (CMake) and managed projects"
    Assert-Tool 'cmake' 'the native shim is built by CMake during dotnet build'
    Invoke-Native 'dotnet' @('tool', 'restore')
    Invoke-Native 'dotnet' @('restore', $Solution)
    Invoke-Native 'dotnet' @('build', $Solution, '-c', $Configuration, '--no-restore')
}

# Counts the outcomes of every UnitTestResult in the TRX files, as .ci/run does.
function Get-TestCounts([string] $Dir) {
    $counts = [ordered]@{ Passed = 0; Failed = 0; Skipped = 0 }
    $files = @(Get-ChildItem -Path $Dir -Filter '*.trx' -Recurse -File -ErrorAction SilentlyContinue)
    foreach ($file in $files) {
        [xml] $trx = Get-Content -LiteralPath $file.FullName -Raw
        foreach ($result in $trx.GetElementsByTagName('UnitTestResult')) {
            switch -Regex ($result.GetAttribute('outcome')) {
                '^(Passed|PassedButRunAborted)$' { $counts.Passed++ }
                '^(Failed|Error|Timeout|Aborted)$' { $counts.Failed++ }
                default { $counts.Skipped++ }
            }
        }
    }
    return [pscustomobject] @{ Files = $files.Count; Passed = $counts.Passed; Failed = $counts.Failed; Skipped = $counts.Skipped }
}

function Invoke-Test {
    Write-Step "Test ($Configuration): NUnit and native (ctest) tests"
    Assert-Tool 'ctest' 'the C tests of the shim run through ctest'
    if (Test-Path $ResultsDir) {
        Remove-Item -Recurse -Force $ResultsDir
    }
    $arguments = @('test', $Solution, '-c', $Configuration,
        '--logger', 'trx;LogFileName=dvs.trx', '--results-directory', $ResultsDir,
        '--blame-hang-timeout', '10m', '--blame-hang-dump-type', 'none')
    Write-Host "dotnet $($arguments -join ' ')" -ForegroundColor DarkGray
    & dotnet @arguments
    $exitCode = $LASTEXITCODE

    $c = Get-TestCounts $ResultsDir
    Write-Host "$($c.Passed) passed, $($c.Failed) failed, $($c.Skipped) skipped"
    if ($c.Files -eq 0) {
        throw "no TRX in ${ResultsDir}: the build or the run failed before any test ran (exit code $exitCode)"
    }
    if ($c.Failed -gt 0 -or $exitCode -ne 0) {
        throw "tests failed ($($c.Failed) failed; dotnet test exit code $exitCode)"
    }
    if ($c.Passed + $c.Failed + $c.Skipped -eq 0) {
        throw 'no test ran'
    }
}

function Invoke-Bench {
    Write-Step 'Bench: every benchmark once, very short (--smoke)'
    Invoke-Native 'dotnet' @('run', '-c', 'Release', '--project', (Join-Path $Root 'bench/Dvs.Benchmarks'), '--', '--smoke')
}

Push-Location $Root
try {
    switch ($Target) {
        'Build' { Invoke-Build }
        'Test' { Invoke-Test }
        'Bench' { Invoke-Bench }
        'All' { Invoke-Build; Invoke-Test; Invoke-Bench }
    }
    Write-Step "$Target succeeded"
}
finally {
    Pop-Location
}
