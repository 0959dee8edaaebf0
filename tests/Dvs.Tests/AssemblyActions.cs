// A failed test shows what its node hosts, relays and clients logged (CI keeps only the output).
[assembly: Dvs.Tests.Cluster.KeepProcessLogsOnFailure]
