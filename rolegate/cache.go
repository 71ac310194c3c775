package rolegate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/fault"
)

// Defaults of CacheConfig.
const (
	DefaultRoleCacheTTL = 60 * time.Second
	DefaultMaxUsers     = 1024
)

// UserRoleReader reads the active roles of a ServiceNow user from
// sys_user_has_role; *servicenow.Client implements it.
type UserRoleReader interface {
	UserRoles(ctx context.Context, userName string) ([]string, error)
}

// CacheConfig configures NewRoleCache.
type CacheConfig struct {
	// Reader reads a user's roles from ServiceNow. Required.
	Reader UserRoleReader
	// TTL is how long a user's roles are believed once read
	// (ESCALATOR_ROLE_CACHE_TTL): a role granted or revoked in ServiceNow
	// takes effect within it. Zero means DefaultRoleCacheTTL; negative
	// means no caching (every request reads ServiceNow).
	TTL time.Duration
	// MaxUsers bounds the users remembered; past it the entry closest to
	// expiry goes. Default DefaultMaxUsers.
	MaxUsers int
}

// RoleCache is the RoleSource that reads the requester's roles from
// ServiceNow (data.requested_by.user_name), remembering each user's for at
// most the TTL. Concurrent lookups of one user share a single request.
type RoleCache struct {
	reader UserRoleReader
	ttl    time.Duration
	max    int

	flight singleflight.Group
	mu     sync.Mutex
	users  map[string]cached
}

type cached struct {
	roles   []string
	expires time.Time
}

// NewRoleCache validates cfg and returns the cache.
func NewRoleCache(cfg CacheConfig) (*RoleCache, error) {
	if cfg.Reader == nil {
		return nil, errors.New("rolegate: role cache: no ServiceNow role reader")
	}
	if cfg.TTL == 0 {
		cfg.TTL = DefaultRoleCacheTTL
	}
	if cfg.MaxUsers <= 0 {
		cfg.MaxUsers = DefaultMaxUsers
	}
	return &RoleCache{reader: cfg.Reader, ttl: cfg.TTL, max: cfg.MaxUsers, users: map[string]cached{}}, nil
}

// Roles returns the roles ServiceNow says the requester of ev holds. A
// requester without a user name holds none (nothing is asked). A failed
// lookup is transient: the message is retried, never refused for it.
func (c *RoleCache) Roles(ctx context.Context, ev *event.Event) ([]string, error) {
	user := ev.Data.RequestedBy.UserName
	if user == "" {
		return nil, nil
	}
	return c.UserRoles(ctx, user)
}

// UserRoles returns user's roles, from the cache while they are fresh.
func (c *RoleCache) UserRoles(ctx context.Context, user string) ([]string, error) {
	if roles, ok := c.fresh(user); ok {
		return roles, nil
	}
	// The lookup is shared by every caller waiting for this user, so it
	// must not end when the first caller's context does; each caller stops
	// waiting on its own context.
	ch := c.flight.DoChan(user, func() (any, error) {
		roles, err := c.reader.UserRoles(context.WithoutCancel(ctx), user)
		if err != nil {
			return nil, err
		}
		c.store(user, roles)
		return roles, nil
	})
	select {
	case <-ctx.Done():
		return nil, fault.AsTransient(fmt.Errorf("read the roles of %s: %w", user, ctx.Err()), 0)
	case r := <-ch:
		if r.Err != nil {
			return nil, fault.AsTransient(fmt.Errorf("read the roles of %s from ServiceNow: %w", user, r.Err), 0)
		}
		return slices.Clone(r.Val.([]string)), nil
	}
}

func (c *RoleCache) fresh(user string) ([]string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.users[user]
	if !ok || !time.Now().Before(e.expires) {
		return nil, false
	}
	return slices.Clone(e.roles), true
}

func (c *RoleCache) store(user string, roles []string) {
	if c.ttl < 0 {
		return
	}
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.users[user]; !ok && len(c.users) >= c.max {
		c.evict(now)
	}
	c.users[user] = cached{roles: slices.Clone(roles), expires: now.Add(c.ttl)}
}

// evict drops the expired entries, or, when none has expired, the one
// closest to expiry. c.mu is held.
func (c *RoleCache) evict(now time.Time) {
	var oldest string
	var oldestAt time.Time
	for u, e := range c.users {
		if !now.Before(e.expires) {
			delete(c.users, u)
			continue
		}
		if oldest == "" || e.expires.Before(oldestAt) {
			oldest, oldestAt = u, e.expires
		}
	}
	if len(c.users) >= c.max && oldest != "" {
		delete(c.users, oldest)
	}
}

// Len is the number of users remembered (expired ones included until they
// are evicted).
func (c *RoleCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.users)
}
