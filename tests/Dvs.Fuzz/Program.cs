using Dvs.Fuzz;
using SharpFuzz;

// Dvs.Fuzz TARGET              under afl-fuzz (SharpFuzz): runs TARGET on each input afl gives
// Dvs.Fuzz TARGET FILE...      runs TARGET once on each file (reproduce a finding); exit 1 on the first failure
// Dvs.Fuzz seeds DIR           writes the seed corpus into DIR/<target>/
// Targets: frame, frame-mac, ini, control (see FuzzTargets and tests/Dvs.Fuzz/README.md).
if (args.Length == 2 && args[0] == "seeds")
{
    SeedCorpus.Write(args[1]);
    return 0;
}
if (args.Length == 0 || !FuzzTargets.Names.Contains(args[0]))
{
    Console.Error.WriteLine($"usage: Dvs.Fuzz TARGET [FILE...] | Dvs.Fuzz seeds DIR   (targets: {string.Join(", ", FuzzTargets.Names)})");
    return 2;
}
string target = args[0];
if (args.Length > 1)
{
    try
    {
        foreach (string file in args[1..])
        {
            Console.WriteLine(file);
            FuzzTargets.Run(target, File.ReadAllBytes(file));
        }
        return 0;
    }
    finally
    {
        FuzzTargets.Stop();
    }
}
Fuzzer.OutOfProcess.Run(stream =>
{
    using var copy = new MemoryStream();
    stream.CopyTo(copy);
    FuzzTargets.Run(target, copy.GetBuffer().AsSpan(0, (int)copy.Length));
});
return 0;
