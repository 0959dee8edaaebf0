namespace Dvs.Tests.Hosting.Harness;

/// <summary>Cases the harness's migration properties found, shrunk and kept by name.</summary>
[TestFixture]
[NonParallelizable]
public class HarnessMigrationRegressions
{
    /// <summary>
    /// The target went down while migr_start paused the service, before the migration was listed:
    /// the peer-down event found no migration to fail, and OFFER, refused by the down session,
    /// was retried forever; migr_start waited its whole timeout (here, for ever on virtual time).
    /// </summary>
    [Test]
    public void AMigrationStartedAsItsTargetGoesDownFailsInsteadOfWaitingForItsTimeout()
    {
        HarnessMigrationProperties.OneWayAcrossMigration(-14555271, 17, 11, 1, MigrationScenario.TargetDiesDuringStart);
    }
}
