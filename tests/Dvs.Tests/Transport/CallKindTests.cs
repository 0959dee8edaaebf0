using System.Reflection;
using Dvs.Transport;

namespace Dvs.Tests.Transport;

/// <summary>The wire's call kinds are declared once; two kinds with one number would be read as each other.</summary>
[TestFixture]
public class CallKindTests
{
    [Test]
    public void EveryCallKindHasItsOwnNumberAndTheFlagsDiffer()
    {
        FieldInfo[] fields = typeof(CallKind).GetFields(BindingFlags.Public | BindingFlags.Static);
        var kinds = fields.Where(f => f.Name is not (nameof(CallKind.DeltaStage) or nameof(CallKind.ServingFlag)))
            .Select(f => (f.Name, Value: (byte)f.GetRawConstantValue()!)).ToList();
        Assert.That(kinds, Has.Count.GreaterThan(25));
        var repeated = kinds.GroupBy(k => k.Value).Where(g => g.Count() > 1).Select(g => string.Join(" = ", g.Select(k => k.Name))).ToList();
        Assert.That(repeated, Is.Empty, "call kinds sharing a number");
        Assert.That(CallKind.DeltaStage, Is.Not.EqualTo(CallKind.ServingFlag));
    }
}
