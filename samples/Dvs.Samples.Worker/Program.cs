using System.Security.Cryptography;
using Dvs.Configuration;
using Dvs.Hosting;
using Dvs.Samples.Worker;

// A worker service (the `dotnet new worker` shape) that runs a Dvs node host, "sample0", and
// serves the tally service on endpoint 10 of DC 0 until Ctrl-C. Run samples/Dvs.Samples.Client
// beside it to call the service.
HostApplicationBuilder builder = Host.CreateApplicationBuilder(args);

// The cluster key: a one-node cluster makes its own on first run (mode 0600). Nodes of a real
// cluster share one, written once by `dvs config init`.
string keyFile = Path.Combine(builder.Environment.ContentRootPath, "cluster.key");
if (!File.Exists(keyFile))
{
    ClusterKey.WriteFile(keyFile, Convert.ToHexString(RandomNumberGenerator.GetBytes(32)), overwrite: false);
}

// The "Dvs" section of appsettings.json has the shape of a node ini file; it is checked at start
// as `dvs config check` checks a file (try "nr_tasks": "999" under "dc.dc0").
builder.Services.AddDvsNodeHost(builder.Configuration.GetSection("Dvs"), baseDirectory: builder.Environment.ContentRootPath);
builder.Services.Configure<TallyOptions>(builder.Configuration.GetSection("Tally"));
int endpoint = builder.Configuration.GetValue("Tally:Endpoint", 10);
builder.Services.AddDvsService<TallyService>(dcid: 0, endpoint: endpoint, kind: TallyService.Kind);
builder.Services.AddHealthChecks().AddDvs();
builder.Services.AddHostedService<Worker>();

IHost host = builder.Build();
host.Run();
