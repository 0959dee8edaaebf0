using NUnit.Framework.Interfaces;

namespace Dvs.Tests.Cluster;

/// <summary>
/// On the assembly: after each test, the logs its processes left (<see cref="ProcessLogs"/>) go to
/// its output if it failed.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly)]
internal sealed class KeepProcessLogsOnFailureAttribute : Attribute, ITestAction
{
    /// <inheritdoc/>
    public ActionTargets Targets => ActionTargets.Test;

    /// <inheritdoc/>
    public void BeforeTest(ITest test)
    {
    }

    /// <inheritdoc/>
    public void AfterTest(ITest test) => ProcessLogs.Settle(test);
}
