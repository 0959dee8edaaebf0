using System.Collections.ObjectModel;

namespace Dvs;

/// <summary>
/// <see cref="NodeHostOptions.Dcs"/> before anyone sets it: DC 0 with the DVS sizes, until the first
/// DC is added, which replaces it. So <c>Dcs = { new DcOptions { DcId = 1 } }</c> (a collection
/// initializer adds to the existing list) means only DC 1, as assigning a new list does. Not
/// thread-safe (options are built by one thread).
/// </summary>
internal sealed class DefaultDcList : Collection<DcOptions>
{
    private bool _default = true;

    public DefaultDcList()
    {
        base.InsertItem(0, new DcOptions());
    }

    protected override void InsertItem(int index, DcOptions item)
    {
        if (_default)
        {
            _default = false;
            base.ClearItems();
            index = 0;
        }
        base.InsertItem(index, item);
    }

    protected override void SetItem(int index, DcOptions item)
    {
        _default = false;
        base.SetItem(index, item);
    }

    protected override void RemoveItem(int index)
    {
        _default = false;
        base.RemoveItem(index);
    }

    protected override void ClearItems()
    {
        _default = false;
        base.ClearItems();
    }
}
